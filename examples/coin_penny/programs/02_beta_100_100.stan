// Heads are binomial given the bias. Mint pennies are manufactured to be symmetric, so a Beta(100, 100)
// prior keeps the bias within a few percent of 0.5.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(100, 100);
  num_heads ~ binomial(num_flips, bias);
}
