// Markov chain for rainy days: separate rain probabilities after dry and after wet days, Beta(1, 1) priors.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rained; // 1 if it rained that day, 0 if not
}
parameters {
  real<lower=0, upper=1> p_after_dry;
  real<lower=0, upper=1> p_after_rain;
}
model {
  p_after_dry ~ beta(1, 1);
  p_after_rain ~ beta(1, 1);
  for (t in 2:num_days) {
    rained[t] ~ bernoulli(rained[t - 1] == 1 ? p_after_rain : p_after_dry);
  }
}
generated quantities {
  int<lower=0, upper=1> rain_next_day = bernoulli_rng(rained[num_days] == 1 ? p_after_rain : p_after_dry);
}
