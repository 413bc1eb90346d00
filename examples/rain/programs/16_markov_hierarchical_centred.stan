// Markov chain whose two transition log-odds are drawn from a common normal(mu, tau) distribution,
// so the two states share information; mu ~ normal(0, 1.5), tau half-normal(0, 1).
data {
  int num_days; // number of days recorded
  array[num_days] int<lower=0, upper=1> rain; // 1 if it rained that day, 0 if not
}
parameters {
  real mu;
  real<lower=0> tau;
  vector[2] logit_p; // [1]: after a dry day, [2]: after a rainy day
}
model {
  mu ~ normal(0, 1.5);
  tau ~ normal(0, 1);
  logit_p ~ normal(mu, tau);
  for (t in 2:num_days) {
    rain[t] ~ bernoulli_logit(logit_p[rain[t - 1] + 1]);
  }
}
generated quantities {
  int<lower=0, upper=1> rain_next_day = bernoulli_logit_rng(logit_p[rain[num_days] + 1]);
}
