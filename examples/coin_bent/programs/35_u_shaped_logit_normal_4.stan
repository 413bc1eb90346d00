// Log-odds of heads normal(0, 4): a clearly U-shaped prior on the bias, since a coin bent in a press
// is expected to favour one side strongly. Binomial likelihood.
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
  log_odds ~ normal(0, 4);
  num_heads ~ binomial_logit(num_flips, log_odds);
}
