// A lease's stopStep: the last report step of a trial that ends part-way through its config's
// run (a population-based training member trains one generation, `interval` steps). Pure.

/** Whether a step lies past the stopStep: nothing is reported or checkpointed there. */
export function pastStopStep(stopStep: number | undefined, step: number): boolean {
  return stopStep !== undefined && step > stopStep;
}

/** A checkpoint is due at the stopStep (the next generation starts from it), once. */
export function stopStepDue(stopStep: number | undefined, step: number, lastCheckpointStep: number | undefined): boolean {
  return stopStep !== undefined && step === stopStep && lastCheckpointStep !== stopStep;
}

/** The trial stops once report #stopStep is made and its checkpoint taken. */
export function stopStepReached(stopStep: number | undefined, reported: number, checkpointed: boolean): boolean {
  return stopStep !== undefined && reported >= stopStep && checkpointed;
}
