// Binomial count of heads; a US mint penny is very nearly fair, so the bias gets a Beta(50, 50) prior
// (mean 0.5, sd 0.05).
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
