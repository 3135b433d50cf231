/** AUC by counting ordered (positive, negative) pairs (ties count half): independent of the Evaluator's metrics. */
export function pairAuc(labels: ArrayLike<number>, scores: number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < labels.length; i++)
    for (let j = 0; j < labels.length; j++)
      if (labels[i] === 1 && labels[j] === 0) {
        den++;
        num += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
      }
  return num / den;
}
