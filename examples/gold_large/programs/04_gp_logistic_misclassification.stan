// Latent logistic Gaussian process (approximated with 40 basis functions) for the probability of gold along the rod;
// each test is misread with an unknown probability of a few percent. Predictions are the true state.
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
  array[N] real locs = append_array(train_locs, test_locs);
  int M = 40;
  real L = 0.75 * rod_length;
  matrix[N, M] PHI;
  vector[M] omega;
  for (m in 1:M) {
    omega[m] = m * pi() / (2 * L);
    for (n in 1:N) PHI[n, m] = sin(omega[m] * (locs[n] - rod_length / 2 + L)) / sqrt(L);
  }
}
parameters {
  real<lower=0> rho;
  real<lower=0> alpha;
  real mu;
  real<lower=0, upper=1> eps;
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
  rho ~ inv_gamma(4, 40);
  alpha ~ normal(0, 2.5) T[0, ];
  mu ~ normal(0, 1);
  eps ~ beta(1, 20);
  eta ~ std_normal();
  for (n in 1:num_train) {
    real p = inv_logit(f[n]);
    gold_train[n] ~ bernoulli(p * (1 - eps) + (1 - p) * eps);
  }
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test;
  for (j in 1:num_test) gold_test[j] = bernoulli_rng(inv_logit(f[num_train + j]));
}
