// Logistic model: the log-odds of heads have a weakly informative normal(0, 1.5) prior, roughly flat on
// the probability scale. Binomial likelihood.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real log_odds;
}
transformed parameters {
  real<lower=0, upper=1> bias = inv_logit(log_odds);
}
model {
  log_odds ~ normal(0, 1.5);
  num_heads ~ binomial_logit(num_flips, log_odds);
}
