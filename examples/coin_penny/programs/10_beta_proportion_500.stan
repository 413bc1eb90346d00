// Heads are binomial; the bias has a beta prior with mean 0.5 and concentration 500, since pennies
// from the mint are fair to within about two percentage points.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta_proportion(0.5, 500);
  num_heads ~ binomial(num_flips, bias);
}
