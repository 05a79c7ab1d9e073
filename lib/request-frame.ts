import type { RequestFrame } from './protocol/generated/types.js';
import { validatorFor } from './protocol/validate.js';

const validateRequestFrame = validatorFor<RequestFrame>('RequestFrame');

/** A request frame, or why it is not one with the id to answer on (`invalid` when it has none). */
export function validateFrame(parsed: unknown): { ok: true; value: RequestFrame } | { ok: false; id: string; message: string } {
  const result = validateRequestFrame(parsed);
  if (result.ok) return result;
  const rawId = (parsed as { id?: unknown } | null)?.id;
  return { ok: false, id: typeof rawId === 'string' && rawId ? rawId : 'invalid', message: result.message };
}

/** UTF-8 size check that skips the byte count when the character count already decides it. */
export function exceedsBytes(text: string, max: number): boolean {
  if (text.length > max) return true;
  if (text.length * 3 <= max) return false;
  return Buffer.byteLength(text, 'utf8') > max;
}
