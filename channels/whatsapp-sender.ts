import { jidNormalizedUser, type WAMessageKey } from '@whiskeysockets/baileys';

/**
 * Baileys 7 addresses many chats by LID (`…@lid`) and puts the phone-number JID beside it
 * (`remoteJidAlt` / `participantAlt`). Allowlists, pairing and session keys are keyed by phone
 * number, so the phone JID stays the sender and the LID becomes an alias.
 */
export function senderOf(key: WAMessageKey, group: boolean): { sender: string; lid?: string } {
  const jids = (group ? [key.participant, key.participantAlt] : [key.remoteJid, key.remoteJidAlt])
    .filter((jid): jid is string => Boolean(jid))
    .map((jid) => jidNormalizedUser(jid));
  const phone = jids.find((jid) => jid.endsWith('@s.whatsapp.net'));
  const lid = jids.find((jid) => jid.endsWith('@lid'));
  return { sender: phone ?? jids[0] ?? '', ...(lid && phone ? { lid } : {}) };
}
