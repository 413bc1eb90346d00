// Binomial heads with a Beta(100, 100) prior on the bias; also predicts heads in another run of the
// same number of flips.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(100, 100);
  num_heads ~ binomial(num_flips, bias);
}
generated quantities {
  int heads_next = binomial_rng(num_flips, bias);
}
