/**
 * `/new` and `/reset`: upstream's commands to start a fresh session (its default reset triggers).
 * Alone they start it with a greeting; followed by text, that text is the new session's first message.
 */
export function parseResetCommand(message: string): { command: 'new' | 'reset'; rest: string } | undefined {
  const match = /^\s*\/(new|reset)(?:\s+([\s\S]*))?$/i.exec(message);
  if (!match) return undefined;
  return { command: match[1]!.toLowerCase() as 'new' | 'reset', rest: (match[2] ?? '').trim() };
}

/** What the agent is asked when a session starts with a bare `/new` or `/reset`. */
export const NEW_SESSION_PROMPT =
  'A new session has just been started (the user sent /new or /reset). Greet the user in one or two short sentences and ask what they would like to do next.';
