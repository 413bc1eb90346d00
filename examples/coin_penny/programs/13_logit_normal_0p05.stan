// Log-odds of heads with a normal(0, 0.05) prior, i.e. a bias within about 0.025 of one half, as
// expected of a standard penny; binomial likelihood.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real logit_bias;
}
transformed parameters {
  real<lower=0, upper=1> bias = inv_logit(logit_bias);
}
model {
  logit_bias ~ normal(0, 0.05);
  num_heads ~ binomial_logit(num_flips, logit_bias);
}
