// Logit-binomial model with a wide normal(0, 3) prior on the log-odds of heads: on the probability
// scale this is U-shaped, putting much of its mass on nearly-always-heads or nearly-always-tails.
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
  log_odds ~ normal(0, 3);
  num_heads ~ binomial_logit(num_flips, log_odds);
}
