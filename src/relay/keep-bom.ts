/**
 * msgpackr's pure-JS decoder makes one `new TextDecoder()` when it loads and uses it
 * for strings over 64 bytes; a default TextDecoder drops a leading U+FEFF, so a
 * command or value starting with one would arrive changed. Imported just before
 * msgpackr (codec.ts), this makes that decoder keep it; codec.ts puts the global back.
 */
export const OriginalTextDecoder = globalThis.TextDecoder;

class BomKeepingTextDecoder extends OriginalTextDecoder {
  constructor(label?: string, options?: TextDecoderOptions) {
    super(label, { ...options, ignoreBOM: true });
  }
}

globalThis.TextDecoder = BomKeepingTextDecoder;
