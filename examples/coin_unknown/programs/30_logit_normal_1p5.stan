// Weakly informative normal(0, 1.5) prior on the log-odds of heads (about uniform for the bias);
// binomial_logit likelihood.
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
