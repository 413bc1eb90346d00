// How badly bent is unknown: the log-odds of heads are normal(0, tau) with tau half-normal(0, 3), a scale
// mixture covering both a nearly fair coin (small tau) and an extreme one (large tau). Binomial heads.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0> tau;
  real log_odds;
}
transformed parameters {
  real<lower=0, upper=1> bias = inv_logit(log_odds);
}
model {
  tau ~ normal(0, 3);
  log_odds ~ normal(0, tau);
  num_heads ~ binomial_logit(num_flips, log_odds);
}
