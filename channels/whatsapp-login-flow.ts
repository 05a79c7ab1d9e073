/** One QR login of a WhatsApp account: the latest QR, and how it ended. */
export interface LoginFlow {
  qr?: string;
  readonly done: Promise<{ ok: boolean; message: string }>;
  finish(result: { ok: boolean; message: string }): void;
  /** Woken by each QR code and by the end of the flow (no QR is coming then). */
  readonly qrWaiters: Set<() => void>;
}

export function newLoginFlow(): LoginFlow {
  let finish!: (result: { ok: boolean; message: string }) => void;
  const done = new Promise<{ ok: boolean; message: string }>((resolve) => (finish = resolve));
  const qrWaiters = new Set<() => void>();
  return {
    done,
    qrWaiters,
    finish: (result) => {
      finish(result);
      for (const waiter of [...qrWaiters]) waiter();
    },
  };
}
