// Log-odds of heads normal(0, 1.5): a wide prior that allows heavily bent coins (bias 0.05 or 0.95)
// without favouring them. Binomial likelihood.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
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
