// The number of heads is binomial given the bias. Because the coin is bent and could be extremely
// biased, I use the Jeffreys prior Beta(0.5, 0.5), which favours values near 0 and 1.
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
