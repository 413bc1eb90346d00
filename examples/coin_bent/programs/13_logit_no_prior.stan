// The bend could do anything, so no prior information: a flat prior on the log-odds, binomial heads.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real logit_bias;
}
transformed parameters {
  real<lower=0, upper=1> bias = inv_logit(logit_bias);
}
model {
  num_heads ~ binomial_logit(num_flips, logit_bias);
}
