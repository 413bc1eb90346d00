// Log-odds of heads with a normal(0, 1) prior: weakly informative, mildly favouring biases near one half
// (95% between about 0.12 and 0.88). Binomial likelihood.
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
  log_odds ~ normal(0, 1);
  num_heads ~ binomial_logit(num_flips, log_odds);
}
