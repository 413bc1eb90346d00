// Binomial heads; prior Beta(100, 100) because a US penny is close to perfectly balanced.
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
