// Why a trial state was not stored or served, as the relay's interface says it: routes answer its
// status (400 a wrong SHA-256, 403/409 not the caller's trial, 404 none stored, 413 past the cap).
export class StateRefusal extends Error {
  constructor(readonly status: 400 | 404 | 409 | 413, message: string) {
    super(message);
    this.name = "StateRefusal";
  }
}
