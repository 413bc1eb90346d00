// The number of heads is binomial. Since the coin is almost surely a standard penny, its bias is close to
// one half: Beta(50, 50).
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(50, 50);
  num_heads ~ binomial(num_flips, bias);
}
