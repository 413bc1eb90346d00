// Jeffreys prior Beta(0.5, 0.5) for a binomial proportion about which nothing is known; binomial heads.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(0.5, 0.5);
  num_heads ~ binomial(num_flips, bias);
}
