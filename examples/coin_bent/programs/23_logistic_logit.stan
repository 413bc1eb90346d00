// Log-odds of heads with a standard logistic prior, which is exactly uniform on the bias: the bent coin
// could have any bias. Binomial likelihood.
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
  log_odds ~ logistic(0, 1);
  num_heads ~ binomial_logit(num_flips, log_odds);
}
