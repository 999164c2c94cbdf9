// Tests that take tens of seconds (training to an accuracy, a 1 GiB deflate bomb) run in
// `npm test`; `npm run test:unit`, the quick edit-test loop, sets DISCALC_QUICK and skips them.
export const slowTest = process.env.DISCALC_QUICK ? "slow: npm test runs it, npm run test:unit does not" : false;
