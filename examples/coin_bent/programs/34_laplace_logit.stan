// Laplace (double exponential) prior with scale 2 on the log-odds of heads: peaked at fair but with
// long tails towards a coin that is almost always heads or tails. Binomial likelihood.
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
  log_odds ~ double_exponential(0, 2);
  num_heads ~ binomial_logit(num_flips, log_odds);
}
