// How standard is the coin: a weight near 1 (Beta(19, 1)) means a mint-perfect penny with concentration
// near 1000, a weight near 0 a merely ordinary coin (concentration 20). The bias is beta around 0.5
// with that concentration; heads are binomial.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> standardness;
  real<lower=0, upper=1> bias;
}
model {
  standardness ~ beta(19, 1);
  bias ~ beta_proportion(0.5, 20 + 980 * standardness);
  num_heads ~ binomial(num_flips, bias);
}
