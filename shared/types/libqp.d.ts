// libqp (quoted-printable, from the nodemailer project) ships no type declarations.
declare module 'libqp' {
  export function encode(data: Buffer | string): string;
  export function decode(data: Buffer | string): Buffer;
  export function wrap(text: string, lineLength?: number): string;
}
