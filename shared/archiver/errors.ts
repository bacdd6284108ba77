import { HttpError } from '../http/http-error';

/** Sign-in to the archiver was refused: retrying cannot help, and could lock the account. */
export class ArchiverSignInError extends HttpError {
  constructor(status: number) {
    super(`the archiver refused the sign-in (HTTP ${status}); check the connector's USERNAME and PASSWORD settings`, status, 'SignInRefused');
    this.name = 'ArchiverSignInError';
  }
}

/** The archiver answered with an error after the client's retries. */
export class ArchiverRequestError extends HttpError {
  constructor(status: number, what: string) {
    super(`archiver ${what} failed with HTTP ${status}`, status, 'ArchiverRequestFailed');
    this.name = 'ArchiverRequestError';
  }
}

/** The archiver answered outside its interface (a sign-in answer that is not JSON): asking again the same way cannot help. */
export class ArchiverProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiverProtocolError';
  }
}
