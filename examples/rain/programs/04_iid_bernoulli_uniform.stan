// Simplest model: each day rains independently with the same unknown probability; uniform Beta(1, 1) prior.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  real<lower=0, upper=1> p_rain;
}
model {
  p_rain ~ beta(1, 1);
  rain ~ bernoulli(p_rain);
}
generated quantities {
  int<lower=0, upper=1> rain_next_day = bernoulli_rng(p_rain);
}
