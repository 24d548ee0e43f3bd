// Package stats holds the statistics of seed cells: the summary of one
// cell's values over its seeds (mean, standard deviation, Student-t 95%
// confidence interval) and the comparison of two cells (difference of
// means with its 95% CI, a paired t-test over shared seeds with an exact
// sign-flip permutation test for few seeds, Welch's t-test when the cells
// share no seed, Holm's adjustment over a family of comparisons, and the
// smallest difference the seeds could detect).
//
// Everything is built on gonum's stat (means, sample standard deviations)
// and stat/distuv (the Student t distribution's CDF and quantiles); no
// special function is written here.
//
// Conventions, fixed for every report:
//   - confidence intervals are two-sided 95% (Level), from the t
//     distribution with n-1 degrees of freedom (Welch-Satterthwaite degrees
//     of freedom for two independent cells);
//   - p-values are two-sided;
//   - the minimum detectable difference is the true difference a two-sided
//     test at alpha 0.05 would find with 80% power (Power), by the usual
//     t approximation (t[1-alpha/2, df] + t[power, df]) * standard error,
//     which slightly understates it next to the exact noncentral-t answer;
//   - a sample of one value has no standard deviation, interval or test:
//     those fields are NaN.
package stats
