// Binomial heads with a Beta(100, 100) prior on the bias of a standard penny.
data {
  int num_flip; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(100, 100);
  num_heads ~ binomial(num_flip, bias);
}
