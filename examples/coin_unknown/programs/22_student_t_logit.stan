// Student-t(3, 0, 1.5) prior on the log-odds of heads: weakly informative with heavy tails, in case the
// found coin is a trick coin. Binomial likelihood.
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
  log_odds ~ student_t(3, 0, 1.5);
  num_heads ~ binomial_logit(num_flips, log_odds);
}
