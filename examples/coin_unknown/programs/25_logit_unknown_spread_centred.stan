// The log-odds of heads are normal around 0 (a fair coin) with an unknown spread sigma ~ exponential(1):
// the data decide how far from fair the coin may be. Binomial likelihood.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0> sigma;
  real log_odds;
}
transformed parameters {
  real<lower=0, upper=1> bias = inv_logit(log_odds);
}
model {
  sigma ~ exponential(1);
  log_odds ~ normal(0, sigma);
  num_heads ~ binomial_logit(num_flips, log_odds);
}
