export type Role = 'operator' | 'node';

/** The access class a method or event declares in the schema (`x-methods[].scope`). */
export type AccessScope = 'read' | 'write' | 'admin' | 'pairing' | 'approvals' | 'node';

export const ADMIN_SCOPE = 'operator.admin';

/**
 * The access rule (docs/protocol.md, Roles and scopes): node-only methods refuse operators, nodes
 * may call nothing else, `operator.admin` passes everything, read access is granted by read or
 * write. Returns the error text or undefined.
 */
export function methodAccessError(role: Role, scopes: readonly string[], access: AccessScope): string | undefined {
  if (access === 'node') return role === 'node' ? undefined : `unauthorized role: ${role}`;
  if (role === 'node') return 'unauthorized role: node';
  if (scopes.includes(ADMIN_SCOPE)) return undefined;
  switch (access) {
    case 'read':
      return scopes.includes('operator.read') || scopes.includes('operator.write') ? undefined : 'missing scope: operator.read';
    case 'write':
      return scopes.includes('operator.write') ? undefined : 'missing scope: operator.write';
    case 'pairing':
      return scopes.includes('operator.pairing') ? undefined : 'missing scope: operator.pairing';
    case 'approvals':
      return scopes.includes('operator.approvals') ? undefined : 'missing scope: operator.approvals';
    case 'admin':
      return 'missing scope: operator.admin';
    default:
      // An access class nobody knows is closed, never open.
      return `unknown access class: ${String(access)}`;
  }
}

export const ACCESS_SCOPES: readonly AccessScope[] = ['read', 'write', 'admin', 'pairing', 'approvals', 'node'];

/** Events gated by a scope reach only operators holding it (or admin); nodes never see them. */
export function canReceiveEvent(role: Role, scopes: readonly string[], access: AccessScope | undefined): boolean {
  if (!access) return true;
  if (role !== 'operator') return false;
  return methodAccessError(role, scopes, access) === undefined;
}

/**
 * Why a client holding `held` may not grant `granted` (approve a pairing, mint a token), or
 * undefined when it may: nobody hands out a scope it does not hold itself, and only admin grants all.
 */
export function grantError(held: readonly string[], granted: readonly string[]): string | undefined {
  if (held.includes(ADMIN_SCOPE)) return undefined;
  // Both lists are client input of any length: one Set keeps this linear.
  const holds = new Set(held);
  const missing = granted.find((scope) => !holds.has(scope));
  return missing === undefined ? undefined : `missing scope: ${missing} (a client cannot grant a scope it does not hold)`;
}
