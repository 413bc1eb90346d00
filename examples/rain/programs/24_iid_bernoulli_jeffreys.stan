// Independent days with one rain probability and a Jeffreys Beta(0.5, 0.5) prior.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  real<lower=0, upper=1> p;
}
model {
  p ~ beta(0.5, 0.5);
  rain ~ bernoulli(p);
}
generated quantities {
  int<lower=0, upper=1> rain_next_day = bernoulli_rng(p);
}
