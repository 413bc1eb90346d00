// Approximate GP prior on the log-odds of gold (gamma prior on the length scale with mean 10 cm, lognormal amplitude),
// with a misreading probability for each test; predicts the true gold state.
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
  int M = 50;
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
  real<lower=0, upper=1> err;
  vector[M] eta;
}
transformed parameters {
  vector[N] latent;
  {
    vector[M] sqrt_spd = alpha * sqrt(sqrt(2 * pi()) * rho * exp(-0.5 * square(rho * omega)));
    latent = mu + PHI * (sqrt_spd .* eta);
  }
}
model {
  rho ~ gamma(4, 0.4);
  alpha ~ lognormal(0.7, 0.5);
  mu ~ normal(0, 1.5);
  err ~ beta(1.5, 15);
  eta ~ std_normal();
  for (n in 1:num_train)
    gold_train[n] ~ bernoulli(err + (1 - 2 * err) * inv_logit(latent[n]));
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test;
  for (j in 1:num_test) gold_test[j] = bernoulli_logit_rng(latent[num_train + j]);
}
