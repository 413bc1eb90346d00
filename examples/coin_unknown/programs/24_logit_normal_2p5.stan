// Log-odds of heads normal(0, 2.5), the common default for a logistic intercept; it spreads the bias
// over the whole unit interval. Binomial likelihood.
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
  log_odds ~ normal(0, 2.5);
  num_heads ~ binomial_logit(num_flips, log_odds);
}
