// Gaussian-process classification with a probit link (GP approximated by basis functions): a smooth latent function of
// position (length scale around 10 cm) decides where gold is likely. No separate test-error term.
data {
  real rod_length;
  int num_train;
  array[num_train] real train_locs;
  array[num_train] int<lower=0, upper=1> gold_train;
  int num_test;
  array[num_test] real test_locs;
}
transformed data {
  int N = num_train + num_test;
  array[N] real x = append_array(train_locs, test_locs);
  int M = 50;
  real L = 0.75 * rod_length;
  matrix[N, M] PHI;
  vector[M] omega;
  for (m in 1:M) {
    omega[m] = m * pi() / (2 * L);
    for (n in 1:N) PHI[n, m] = sin(omega[m] * (x[n] - rod_length / 2 + L)) / sqrt(L);
  }
}
parameters {
  real<lower=0> rho;
  real<lower=0> alpha;
  real mu;
  vector[M] eta;
}
transformed parameters {
  vector[N] f;
  {
    vector[M] sqrt_spd = alpha * sqrt(sqrt(2 * pi()) * rho * exp(-0.5 * square(rho * omega)));
    f = mu + PHI * (sqrt_spd .* eta);
  }
}
model {
  rho ~ inv_gamma(5, 50);
  alpha ~ normal(0, 1.5) T[0, ];
  mu ~ normal(0, 1);
  eta ~ std_normal();
  gold_train ~ bernoulli(Phi(f[1:num_train]));
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test;
  for (j in 1:num_test) gold_test[j] = bernoulli_rng(Phi(f[num_train + j]));
}
