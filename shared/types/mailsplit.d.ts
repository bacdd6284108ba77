// mailsplit (the nodemailer project's streaming MIME splitter) ships no type declarations: the parts used here.
declare module 'mailsplit' {
  import { Transform } from 'node:stream';

  export interface MimeNode {
    type: 'node';
    /** The multipart subtype ("mixed", "alternative", ...), or false for a leaf part. */
    multipart: string | false;
    /** Content-Transfer-Encoding, lower case ("base64", "quoted-printable", "7bit", ...). */
    encoding: string | false;
    contentType: string | false;
    /** A stream that decodes this part's body (base64, quoted-printable, or as it is). */
    getDecoder(): Transform;
    getHeaders(): Buffer;
  }

  /** A chunk of the current leaf part's body, still encoded. */
  export interface BodyChunk {
    type: 'body';
    value: Buffer;
  }

  /** Bytes between parts: preambles, boundary lines, epilogues. */
  export interface DataChunk {
    type: 'data';
    value: Buffer;
  }

  export type SplitterObject = MimeNode | BodyChunk | DataChunk;

  /** Bytes in, SplitterObjects out. */
  export class Splitter extends Transform {
    constructor(options?: { ignoreEmbedded?: boolean; maxHeadSize?: number });
  }

  /** SplitterObjects in, bytes out: the message again. */
  export class Joiner extends Transform {
    constructor();
  }
}
