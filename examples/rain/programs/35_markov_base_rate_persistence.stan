// Markov chain written as a long-run rain frequency and a persistence: P(rain | yesterday) =
// (1 - persistence) * base_rate + persistence * yesterday. The first day follows the long-run frequency.
// Uniform priors on both.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  real<lower=0, upper=1> base_rate;
  real<lower=0, upper=1> persistence;
}
model {
  base_rate ~ beta(1, 1);
  persistence ~ beta(1, 1);
  rain[1] ~ bernoulli(base_rate);
  for (t in 2:num_days) {
    rain[t] ~ bernoulli((1 - persistence) * base_rate + persistence * rain[t - 1]);
  }
}
generated quantities {
  int<lower=0, upper=1> rain_next_day
    = bernoulli_rng((1 - persistence) * base_rate + persistence * rain[num_days]);
}
