// What the built-in trainer reports after each epoch (and a checkpoint keeps of the epochs done).

/**
 * One epoch's report. With a validation split the validation metrics come every epoch and the
 * test metrics only with the last (the test set measures the trained model once, and ranks
 * nothing unless the sweep names it); without one (`dataset.validation: 0`) the test metrics
 * come every epoch.
 */
export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  valLoss?: number;
  /** Classification only. */
  valAccuracy?: number;
  /** Regression only: √(validation MSE). */
  valRmse?: number;
  testLoss?: number;
  /** Classification only. */
  testAccuracy?: number;
  /** Regression only: √(test MSE). */
  testRmse?: number;
  /** Learning rate used in the epoch's last step. */
  lr: number;
  /** Wall time of the epoch (training and evaluation), ms. */
  wallMs: number;
}
