// Uniform Beta(1, 1) prior on the unknown bias, binomial heads; a replicated heads count checks the fit.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(1, 1);
  num_heads ~ binomial(num_flips, bias);
}
generated quantities {
  int heads_rep = binomial_rng(num_flips, bias);
}
