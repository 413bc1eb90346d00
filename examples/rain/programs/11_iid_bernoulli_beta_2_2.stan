// Independent days with a common rain probability; a Beta(2, 2) prior says it is probably not extreme.
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  real<lower=0, upper=1> theta;
}
model {
  theta ~ beta(2, 2);
  rain ~ bernoulli(theta);
}
generated quantities {
  int<lower=0, upper=1> rain_next_day = bernoulli_rng(theta);
}
