// Markov chain with a transition probability for each of yesterday's states, Beta(1, 1) priors.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  vector<lower=0, upper=1>[2] p; // [1]: after dry, [2]: after rain
}
model {
  p ~ beta(1, 1);
  for (t in 2:num_days) {
    rain[t] ~ bernoulli(p[rain[t - 1] + 1]);
  }
}
generated quantities {
  int rain_tomorrow = bernoulli_rng(p[rain[num_days] + 1]);
}
