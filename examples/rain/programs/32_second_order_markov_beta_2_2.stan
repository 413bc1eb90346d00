// Second-order Markov chain: one rain probability for each pattern of the last two days
// (dry-dry, dry-wet, wet-dry, wet-wet), with Beta(2, 2) priors.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  vector<lower=0, upper=1>[4] p; // pattern index = 2 * rain[t-2] + rain[t-1] + 1
}
model {
  p ~ beta(2, 2);
  for (t in 3:num_days) {
    rain[t] ~ bernoulli(p[2 * rain[t - 2] + rain[t - 1] + 1]);
  }
}
generated quantities {
  int<lower=0, upper=1> rain_next_day = bernoulli_rng(p[2 * rain[num_days - 1] + rain[num_days] + 1]);
}
