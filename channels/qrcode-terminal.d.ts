// qrcode-terminal ships no typings; these cover what the CLI and the WhatsApp QR image use.
declare module 'qrcode-terminal' {
  const qrcode: {
    generate(input: string, options?: { small?: boolean }, callback?: (output: string) => void): void;
  };
  export default qrcode;
}

declare module 'qrcode-terminal/vendor/QRCode/index.js' {
  class QRCode {
    constructor(typeNumber: number, errorCorrectLevel: number);
    addData(data: string): void;
    make(): void;
    getModuleCount(): number;
    isDark(row: number, col: number): boolean;
  }
  export default QRCode;
}

declare module 'qrcode-terminal/vendor/QRCode/QRErrorCorrectLevel.js' {
  const levels: { L: number; M: number; Q: number; H: number };
  export default levels;
}
