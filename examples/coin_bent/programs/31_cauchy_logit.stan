// Cauchy(0, 2.5) prior on the log-odds of heads, the usual weakly informative choice with heavy tails,
// here wanted because the bent coin may be extremely biased. Binomial likelihood.
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
  log_odds ~ cauchy(0, 2.5);
  num_heads ~ binomial_logit(num_flips, log_odds);
}
