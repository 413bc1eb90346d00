// Binomial heads on the logit scale with a normal(0, 2) prior on the log-odds: roughly flat on the
// probability scale with some extra mass near the extremes, as a bent coin could be strongly biased.
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
  log_odds ~ normal(0, 2);
  num_heads ~ binomial_logit(num_flips, log_odds);
}
