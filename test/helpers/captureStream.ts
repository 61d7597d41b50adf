/** A writable stand-in for stderr that keeps what was written; `isTTY` chooses terminal or log output. */
export class CaptureStream {
  text = '';
  constructor(readonly isTTY: boolean) {}
  write(text: string): boolean {
    this.text += text;
    return true;
  }
}
